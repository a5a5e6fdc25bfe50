"""`smileback demo`: the bundled scenario, its generator, and every service in one process.

Demo only: the service image leaves this package out (see the Dockerfile).
"""

__all__: list[str] = []
