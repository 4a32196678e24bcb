"""Print, as one JSON line per rank, the threads DataParallel left this rank: convlens's kernel
threads and every BLAS's (tests/test_distribution_mpi.py)."""

import json
import os

from threadpoolctl import threadpool_info

from convlens import distribution


def main() -> None:
    parallel = distribution.DataParallel()
    blas = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    threads = os.environ["CONVLENS_NUM_THREADS"]
    print(json.dumps({"rank": parallel.rank, "threads": threads, "blas": blas}))


if __name__ == "__main__":
    main()
