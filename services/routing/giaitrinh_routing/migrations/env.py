from giaitrinh_common.migrations import run_env
from giaitrinh_routing.adapters.orm import metadata

run_env(metadata)
