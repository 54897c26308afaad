import { quietSdkLogs } from '../support/quiet-sdk-logs';

quietSdkLogs();
