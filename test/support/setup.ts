import nock from 'nock';

// No test reaches the network: only loopback (the in-process fake Metabase, PostgreSQL) is allowed.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
