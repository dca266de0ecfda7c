// Syntax check of PowerShell scripts with the tree-sitter PowerShell grammar (no pwsh on Linux here):
// node check.mjs FILE... prints each error node with its line and exits 1 if there is any.
import { Parser, Language } from "web-tree-sitter";
import { readFileSync } from "node:fs";
await Parser.init();
const lang = await Language.load(new URL("node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm", import.meta.url).pathname);
const parser = new Parser();
parser.setLanguage(lang);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const tree = parser.parse(readFileSync(file, "utf8"));
  const walk = (n) => {
    if (n.isError || n.isMissing) { bad++; console.log(`${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${n.isMissing ? "missing " + n.type : "syntax error"}: ${n.text.slice(0, 60)}`); }
    for (const c of n.children) walk(c);
  };
  walk(tree.rootNode);
}
process.exit(bad ? 1 : 0);
