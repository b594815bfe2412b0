/**
 * Where an answer came from: the database or service that was read. The
 * `source` of every answer is one of these: `Session`, `LastlogEntry`,
 * `LogindSession`, a `UtmpEntry` made from logind, and watch events, warnings
 * and gaps. (`UtmpFile.source` is another thing: the reader, a `UtmpSource`.)
 */
export type DataSource = 'utmp' | 'wtmp' | 'btmp' | 'lastlog' | 'logind' | 'wtmpdb' | 'lastlog2';
