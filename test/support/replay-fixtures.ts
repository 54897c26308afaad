/** Key of the committed replay fixtures (test data only: they hold no real secret). */
export const REPLAY_FIXTURE_KEY = 'tally-replay-fixtures-not-a-secret';
