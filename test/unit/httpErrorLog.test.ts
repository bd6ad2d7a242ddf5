import { Logger } from '@aws-lambda-powertools/logger';
import { badRequest, logHttpError } from '../../src/http';

/** The JSON lines a real Powertools Logger prints while `run` runs. */
function printed(run: (logger: Logger) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args) => {
    lines.push(JSON.stringify({ level: 'CONSOLE_WARN', message: args.join(' ') }));
  });
  try {
    run(new Logger({ serviceName: 'ecs-autopilot', logLevel: 'DEBUG' }));
  } finally {
    out.mockRestore();
    err.mockRestore();
    warn.mockRestore();
  }
  return lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line));
}

describe('the API log line of a request', () => {
  it('says why a request was refused, in a key Powertools keeps, and warns about nothing', () => {
    const lines = printed((logger) =>
      logHttpError(logger)(badRequest('invalid query: limit: must be at most 100')),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'request refused',
        status: 400,
        error: 'BadRequest',
        reason: 'invalid query: limit: must be at most 100',
      }),
    ]);
  });

  it('logs a failure as an error, with the error', () => {
    const lines = printed((logger) => logHttpError(logger)(new Error('socket hang up')));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'request failed',
        error: expect.objectContaining({ message: 'socket hang up' }),
      }),
    ]);
  });
});
