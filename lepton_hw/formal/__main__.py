"""`python -m lepton_hw.formal`: every proof of the fixed modules (see lepton_hw.formal)."""

import sys

from lepton_hw.formal import main

sys.exit(main())
