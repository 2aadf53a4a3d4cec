"""Makes the project's scripts/ (the subtitles_workflow package and the stage scripts)
importable from a benchmark run as a file, on any env's interpreter: the one place the bench
extends sys.path. Appended, so it shadows nothing installed. Stdlib only.
"""

import sys
from pathlib import Path

SCRIPTS = str(Path(__file__).resolve().parents[1] / "scripts")
if SCRIPTS not in sys.path:
    sys.path.append(SCRIPTS)
