# Cells every notebook starts with, inserted by build.py where a source says "# %% shared: NAME".
# %% shared: setup
# Setup. In Google Colab this installs convlens; anywhere else it does nothing, because you
# installed it already (from the repository root: pip install -e ".[viz,tensorboard,tune]").
# convlens is not on PyPI yet, so Colab needs to know where your copy is: a git URL such as
# "git+https://github.com/OWNER/convlens.git", or "file:///content/convlens" for a folder you
# uploaded. Put yours in CONVLENS_SOURCE before running this cell in Colab.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    CONVLENS_SOURCE = "git+https://github.com/OWNER/convlens.git"  # <- your copy of convlens
    if "OWNER" in CONVLENS_SOURCE:
        raise RuntimeError("Set CONVLENS_SOURCE above: convlens is not on PyPI yet.")
    package = f"convlens[viz,tensorboard,tune] @ {CONVLENS_SOURCE}"
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", package])

# A quick run (a few hundred images, one epoch) when CONVLENS_NOTEBOOK_SMALL=1, as the tests do;
# the full settings otherwise.
SMALL = os.environ.get("CONVLENS_NOTEBOOK_SMALL") == "1"

# %% shared: show
import io

from IPython.display import Image, display


def show(figure):
    """Display a matplotlib figure as a PNG, then close it: one picture per call, the same
    in Jupyter, Colab and when the tests run the notebook."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    display(Image(buffer.getvalue()))
