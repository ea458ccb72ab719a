/*
 * banned.h - libc calls this project does not use (git's banned.h).
 *
 * Included last by every .c file in src/. Each banned name expands to an
 * undeclared identifier that names the reason, so a use fails to compile.
 */
#ifndef KCS_BANNED_H
#define KCS_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_kubecapscan

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef gets
#define gets(x) BANNED(gets)
#undef system
#define system(x) BANNED(system)
#undef popen
#define popen(x, y) BANNED(popen)
#undef yajl_tree_parse
#define yajl_tree_parse(...) BANNED(yajl_tree_parse)

#endif /* KCS_BANNED_H */
