"""Package layout for setuptools; everything else is in pyproject.toml.

The folders ``reports/`` and ``migrations/`` sit at the top of the checkout (where
the project's layout puts them) but are installed as ``ward_desk.reports`` and
``ward_desk.migrations``: a generic top-level ``reports`` or ``migrations`` in
site-packages would clash with any other package that made the same choice.
"""

from setuptools import find_namespace_packages, setup

NESTED = {"ward_desk.reports": "reports", "ward_desk.migrations": "migrations"}

# Namespace discovery, as pyproject's own would do: data folders without an
# __init__.py (the message catalogue, slip templates) are packages for their files.
SKIP = ["*__pycache__*"]
packages = find_namespace_packages(include=["ward_desk", "ward_desk.*", "sync_agent", "sync_agent.*",
                                            "district_desk", "district_desk.*"], exclude=SKIP)
for name, folder in NESTED.items():
    packages += [name] + [f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=SKIP)]

setup(packages=packages, package_dir=NESTED)
