export * from './adapter';
export * from './exporter';
export * from './notifier';
export * from './view';
export * from './sync';
export * from './mux';
export * from './hook';
