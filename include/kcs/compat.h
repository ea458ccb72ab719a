/*
 * compat.h - compiler attributes and the test seam shared by every module.
 */
#ifndef KCS_COMPAT_H
#define KCS_COMPAT_H

/* Mark functions whose result must be checked (jq's WARN_UNUSED_RESULT). */
#if defined(__GNUC__) || defined(__clang__)
#define KCS_WUR __attribute__((warn_unused_result))
#define KCS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KCS_UNUSED __attribute__((unused))
#else
#define KCS_WUR
#define KCS_PRINTF(f, a)
#define KCS_UNUSED
#endif

/*
 * KCS_TESTABLE marks a function that is file-local in release builds but
 * visible to the unit tests (curl's UNITTEST). Tests declare what they use.
 */
#ifdef KCS_UNIT_TESTS
#define KCS_TESTABLE
#else
#define KCS_TESTABLE static
#endif

#define KCS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* KCS_COMPAT_H */
