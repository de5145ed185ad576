export { UsageError, DataError } from './reader/errors.js';
