"""The library's layers (docs/architecture.md, "Components"): scripts/check-layering.py over the
real tree passes, and over a scratch copy with a broken layer fails, naming the file and line.

VARSAM_COMPONENTS: the component list the build wrote (components.txt in the build folder).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-layering.py"
COMPONENTS = os.environ.get("VARSAM_COMPONENTS", str(ROOT / "build/release/components.txt"))


def run_check(root, docs=None):
    args = [sys.executable, str(CHECK), str(root), COMPONENTS]
    if docs:
        args.append(str(docs))
    return subprocess.run(args, capture_output=True, text=True, check=False)


class Layering(unittest.TestCase):

    def test_the_tree_keeps_its_layers_and_the_docs_draw_them(self):
        result = run_check(ROOT, ROOT / "docs/architecture.md")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_documented_graph_that_differs_from_the_build_is_refused(self):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="varsam-layering-"))
        self.addCleanup(shutil.rmtree, tmp)
        docs = tmp / "architecture.md"
        text = (ROOT / "docs/architecture.md").read_text()
        row = "| `synth` | the synthetic population | core, ident, geo, instruments, store, access, submission | |"
        self.assertIn(row, text)
        docs.write_text(text.replace(row, row.replace("submission |", "submission, engine |")))
        result = run_check(ROOT, docs)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("synth may use", result.stdout)

    def scratch(self):
        """A copy of the folders the check reads, removed after the test."""
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="varsam-layering-"))
        self.addCleanup(shutil.rmtree, tmp)
        for folder in ("src", "include", "capi"):
            shutil.copytree(ROOT / folder, tmp / folder)
        return tmp

    def assert_refused(self, root, *expected):
        result = run_check(root)
        self.assertEqual(result.returncode, 1, result.stdout)
        for text in expected:
            self.assertIn(text, result.stdout)

    def add_line(self, path, line):
        text = path.read_text()
        path.write_text(line + "\n" + text)

    def test_a_private_header_of_another_component_is_refused(self):
        root = self.scratch()
        self.add_line(root / "src/anonymize/hierarchy.cc", '#include "../synth/names.h"')
        self.assert_refused(root, "src/anonymize/hierarchy.cc:1:", '"../synth/names.h"')

    def test_a_bare_name_that_is_not_in_the_components_folder_is_refused(self):
        root = self.scratch()
        self.add_line(root / "src/geo/geo.cc", '#include "rng.h"')
        self.assert_refused(root, "src/geo/geo.cc:1:", "not a private header of src/geo")

    def test_a_public_header_of_a_component_above_is_refused(self):
        root = self.scratch()
        self.add_line(root / "src/store/store.cc", '#include "varsam/engine.h"')
        self.assert_refused(root, "src/store/store.cc:1: store includes varsam/engine.h of engine")

    def test_a_public_header_that_includes_one_above_it_is_refused(self):
        root = self.scratch()
        self.add_line(root / "include/varsam/ident.h", '#include "varsam/access.h"')
        self.assert_refused(root, "include/varsam/ident.h:1: ident includes varsam/access.h")

    def test_a_header_or_folder_outside_every_component_is_refused(self):
        root = self.scratch()
        (root / "include/varsam/stray.h").write_text("#pragma once\n")
        (root / "src/stray").mkdir()
        self.assert_refused(root, "include/varsam/stray.h: belongs to no component",
                            "src/stray: a folder of src/ that is no component")


if __name__ == "__main__":
    unittest.main()
