/*
 * version.h - the tool's version, set by CMake from project(VERSION).
 */
#ifndef KCS_VERSION_H
#define KCS_VERSION_H

#ifndef KCS_VERSION
#define KCS_VERSION "0.0.0-unknown"
#endif

#endif /* KCS_VERSION_H */
