/** Fields attached to a log line: correlation ids (`job_id`, `step_id`) and context. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where @kiln/core writes its log lines. Nothing is written to the console: inject a logger
 * (pino, console, a test spy). Every line about a run or a step carries `job_id` and `step_id`.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything (the default). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** A logger that adds `fields` to every line of `logger`. */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  const merge = (extra?: LogFields): LogFields => (extra ? { ...fields, ...extra } : fields);
  return {
    debug: (message, extra) => logger.debug(message, merge(extra)),
    info: (message, extra) => logger.info(message, merge(extra)),
    warn: (message, extra) => logger.warn(message, merge(extra)),
    error: (message, extra) => logger.error(message, merge(extra)),
  };
}
