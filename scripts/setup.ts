// `npm run setup`: applies migrations and creates or updates the topics, against the
// configured services. npm start does this itself; docker-compose runs it once.
import { loadConfigOrExit } from '../lib/config';
import { createTopics, migrate } from './app/prepare';

loadConfigOrExit('setup');
migrate(process.env);
await createTopics(process.env);
console.log('setup: migrations applied, topics up to date');
