#!/bin/sh
# Starts a helper in the background, writes its pid to $KCS_TEST_PIDFILE
# and never finishes: the timeout must stop the helper too.
sleep 1000 &
echo $! > "$KCS_TEST_PIDFILE"
wait
