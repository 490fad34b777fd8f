/*
 * The seccomp allowlist of assist offer's engine (offer_spawn.c installs
 * it in offer_sandbox_enter()).  Data only, in a file of its own so that
 * tests/sys/test_sys_offer_seccomp.c applies the very same policy in a
 * child and shows what it refuses.
 */
#ifndef SHIPWORM_APPS_ASSIST_OFFER_SECCOMP_H
#define SHIPWORM_APPS_ASSIST_OFFER_SECCOMP_H

#include "sys/seccomp.h"

extern const struct seccomp_policy offer_engine_seccomp;

#endif
