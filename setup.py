"""Build hook for the optional C accelerator; everything else is in pyproject.toml.

``optional=True``: where no C compiler is available the install still succeeds and the
classifier runs its numpy path (same scores, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hegui.safety.classifier._hashsum",
            [
                "src/hegui/safety/classifier/_hashsum.c",
                "src/hegui/safety/classifier/_hashsum_evidence.c",
            ],
            depends=["src/hegui/safety/classifier/_hashsum.h"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
