#!/bin/sh
# mpirun's "ssh" for two hosts that are network namespaces on this machine: called as
# `netns_agent.sh [options] HOST COMMAND...`, it runs COMMAND (Open MPI's daemon) in HOST's
# namespace, under a hostname of its own, as ssh would run it on another machine.
# CONVLENS_NETNS_HOSTS holds "address=namespace ..." pairs.
while [ "${1#-}" != "$1" ]; do shift; done
host=$1
shift
for pair in $CONVLENS_NETNS_HOSTS; do
    if [ "${pair%%=*}" = "$host" ]; then
        namespace=${pair#*=}
        exec ip netns exec "$namespace" unshare --uts sh -c "hostname $namespace; $*"
    fi
done
echo "netns_agent.sh: unknown host $host" >&2
exit 1
