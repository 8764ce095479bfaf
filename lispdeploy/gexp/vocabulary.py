"""The spec names of the gexp layer: the file-like object constructors."""

from __future__ import annotations

from lispdeploy.gexp import files
from lispdeploy.gexp.gexp import Gexp
from lispdeploy.vocabulary import Vocabulary

SPEC_VOCABULARY = (Vocabulary(
    procedures={
        "plain-file": files.plain_file,
        "local-file": files.local_file,
        "mixed-text-file": files.mixed_text_file,
        "computed-file": files.computed_file,
        "program-file": files.program_file,
        "file-append": files.file_append,
        "secret-file": files.secret_file,
    },
    values={
        "gexp?": lambda v: isinstance(v, Gexp),
        "file-like?": lambda v: isinstance(v, files.FileLike),
    },
    modules=(("guix", "gexp"),),
),)
