// Prints the one native libsql build this machine needs, as name@version pinned by package-lock.json.
// `make promptfoo` installs promptfoo with `npm ci --omit=optional`, which leaves out every optional
// provider SDK (~1.1 GB) but also every platform's native libsql build, which promptfoo's result store
// loads at start-up; this names the one to add back. @neon-rs/load is what libsql itself uses to choose.
const path = require("path");
const lock = require(path.join(__dirname, "package-lock.json"));
const { currentTarget } = require(path.join(__dirname, "node_modules", "@neon-rs", "load"));

const name = `@libsql/${currentTarget()}`;
const entry = lock.packages[`node_modules/${name}`];
if (!entry) {
  console.error(`package-lock.json pins no ${name}: libsql has no native build for this platform`);
  process.exit(1);
}
console.log(`${name}@${entry.version}`);
