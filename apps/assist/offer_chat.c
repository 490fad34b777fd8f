/*
 * Chat both ways (remote-assistance.md §3.2): the Helper's `assist say`
 * (an "assist-chat TEXT" exec channel) and the User's C-b m or
 * `assist ctl say TEXT` reach every tmux client's status line and the
 * session log.  The text is printable ASCII only (rule 11) and tmux's '#'
 * is escaped (offer_term.c).
 */
#include "offer.h"

void
chat_from_helper(struct offer *o, const char *text)
{
	char line[TEXT_MAX + 32];

	offer_log(o, "chat Helper: %s", text);
	snprintf(line, sizeof(line), "Helper says: %s", text);
	term_broadcast(o, line);
	desktop_note(o, text);
}

void
chat_from_user(struct offer *o, const char *text)
{
	char t[TEXT_MAX + 1], line[TEXT_MAX + 32];

	sanitize(text, t, sizeof(t));
	offer_log(o, "chat User: %s", t);
	snprintf(line, sizeof(line), "User says: %s", t);
	term_broadcast(o, line);
}
