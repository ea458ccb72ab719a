#!/bin/sh
# Not JSON; the secret-looking text must never show up in an error.
echo 'this is not JSON {"token":"garbage-secret-token"'
