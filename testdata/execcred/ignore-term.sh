#!/bin/sh
# Ignores SIGTERM (and so do its sleeps): only SIGKILL stops it.
trap '' TERM
while :; do sleep 1; done
