"""The default scoring pipeline starts without the training stack."""

import subprocess
import sys


def test_scoring_does_not_import_scikit_learn():
    """Scoring starts fast: only training and evaluation need scikit-learn."""
    code = (
        "import sys; from smileback.scorer.factory import default_pipeline; default_pipeline(); "
        "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
