#!/usr/bin/env node
// Plain JavaScript, so that an older Node can at least say what it needs.
// Runs on Node 24 (the `node` devDependency); `npm start` and `npx gatehouse` put it first on PATH.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`gatehouse: needs Node.js 24, found ${process.versions.node}. Run it through npm: npm start, or npx gatehouse …\n`);
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
