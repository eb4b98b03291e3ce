"""snaptui as a Hydra launcher: ``python app.py -m hydra/launcher=snaptui_slurm a=1,2``.

Installed with ``pip install 'snaptui[hydra]'``. ``hydra_plugins`` itself is a namespace package
(no ``__init__.py``), as Hydra's plugin discovery requires.
"""

__version__ = "0.1.0"
