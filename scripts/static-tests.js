/**
 * Tests of text, types and the tree that neither the addon's memory nor the
 * Node version can change (help, man pages, completions, README and typedoc
 * builds, the import graph, the platform header compiled for musl). `npm test`
 * runs them; the ASan run and the runs on other Node versions leave them out,
 * to keep CI well under an hour.
 */
module.exports = ['architecture', 'cli-help', 'completion', 'docs', 'help-texts', 'man-pages', 'readme', 'summary-reporter', 'types', 'cli-who-locale', 'platform'].map(
  (name) => `/test/${name}\\.test\\.ts$`,
);
