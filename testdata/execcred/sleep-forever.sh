#!/bin/sh
# Never finishes (the test sets a 1 s timeout); the sleeps are helpers in
# its process group that must be stopped with it.
while :; do sleep 1; done
