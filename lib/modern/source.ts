/** Where an answer came from. */
export type DataSource = 'utmp' | 'wtmp' | 'btmp' | 'lastlog' | 'logind' | 'wtmpdb' | 'lastlog2';
