/*
 * Shared conventions for every layer: fallible functions return 0 or a
 * negative errno and are marked MUST_CHECK so a caller cannot drop an error.
 */
#ifndef SHIPWORM_BASE_ERR_H
#define SHIPWORM_BASE_ERR_H

#include <errno.h>
#include <stddef.h>

#define MUST_CHECK __attribute__((warn_unused_result))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
