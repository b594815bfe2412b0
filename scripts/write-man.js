#!/usr/bin/env node
/**
 * Writes the man pages into man/ (or the folder given): `utmpx.1` and one
 * `utmpx-COMMAND.1` per subcommand, made from the built CLI's help text
 * (dist/cli/man.js), so that `man utmpx-last` and `utmpx last --help` cannot
 * drift. package.json's `man` field lists them. Run by `npm run build:ts`.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const dist = path.join(__dirname, '..', 'dist', 'cli');
const { COMMANDS } = require(path.join(dist, 'main.js'));
const { commandPage, mainPage } = require(path.join(dist, 'man.js'));
const { version } = require('../package.json');

const out = process.argv[2] ?? path.join(__dirname, '..', 'man');
fs.mkdirSync(out, { recursive: true });
const commands = Object.entries(COMMANDS).map(([name, c]) => ({ name, summary: c.summary, help: c.help }));
fs.writeFileSync(path.join(out, 'utmpx.1'), mainPage(commands, version));
for (const c of commands) fs.writeFileSync(path.join(out, `utmpx-${c.name}.1`), commandPage(c, version));
