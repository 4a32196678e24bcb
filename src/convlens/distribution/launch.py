"""How this process was started: by mpirun/mpiexec or srun (and as which rank), or alone.

Nothing here imports mpi4py: a single-process run reads a few environment variables and
pays nothing else. :func:`import_mpi` is the one place that imports it, on first use.
"""

from __future__ import annotations

import os
import shutil
import sysconfig

# The world size each launcher exports to its processes: Open MPI (OMPI_COMM_WORLD_SIZE),
# MPICH's and Intel MPI's Hydra (PMI_SIZE), and Slurm's srun for the job step it starts
# (SLURM_STEP_NUM_TASKS; plain SLURM_NTASKS is also set in an sbatch script, which is one
# process, so it is not read).
SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS")
RANK_VARIABLES = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID")

INSTALL_HINT = 'pip install "convlens[mpi]"'


def launched_world_size() -> int:
    """The number of processes the launcher started (1 when none did), from the environment."""
    for name in SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def launched_rank() -> int:
    """This process's rank as the launcher exported it (0 when started alone)."""
    for name in RANK_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


def import_mpi():
    """mpi4py's ``MPI`` module, imported now (initialising MPI).

    Raises:
        ImportError: when mpi4py (or the MPI library it needs) is missing, saying how to
            install both.
    """
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "convlens.distribution needs mpi4py and an MPI library; install both with "
            f"`{INSTALL_HINT}` (mpi4py and Open MPI from the package registry), or point "
            f"mpi4py at a system MPI. The import failed with: {error}"
        ) from None
    return MPI


def mpirun_path() -> str | None:
    """The ``mpirun`` to start jobs with: the one installed beside this Python (the
    ``openmpi``/``mpich`` packages put it in the environment's scripts folder), else the
    first on ``PATH``; None when there is none."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(os.path.realpath(_python()))):
        for name in ("mpirun", "mpiexec"):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return shutil.which("mpirun") or shutil.which("mpiexec")


def _python() -> str:
    import sys

    return sys.executable
