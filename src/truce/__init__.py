"""truce: numbers on trade deals and trade wars."""

import jax as _jax

_jax.config.update("jax_enable_x64", True)
