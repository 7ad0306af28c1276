"""The economics: baselines, shocks, equilibrium conditions, the solver and welfare.

Pure JAX: nothing here reads files, prints, or imports another truce layer except the
shared vocabulary (``truce._types``, ``truce.errors``).
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)
