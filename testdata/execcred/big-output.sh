#!/bin/sh
# Prints 2 MiB, twice KCS_EXEC_OUTPUT_MAX.
head -c 2097152 /dev/zero | tr '\0' 'x'
