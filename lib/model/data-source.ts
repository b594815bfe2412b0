/** Where an answer came from: the database or service that was read. */
export type DataSource = 'utmp' | 'wtmp' | 'btmp' | 'lastlog' | 'logind' | 'wtmpdb' | 'lastlog2';
