declare const serviceType: unique symbol;

/**
 * A tsyringe token that remembers the type it stands for (like Backstage's `createServiceRef`).
 * At runtime it is a plain symbol, so `@inject(token)` works without decorator metadata.
 */
export type ServiceToken<T> = symbol & { readonly [serviceType]?: T };

/** The service type a token stands for. */
export type ServiceOf<Token> = Token extends ServiceToken<infer T> ? T : never;

export function createServiceToken<T>(name: string): ServiceToken<T> {
  return Symbol(`rimuru:${name}`) as ServiceToken<T>;
}

/** The token's name for messages: `rimuru:Logger` → `Logger`. */
export function tokenName(token: symbol): string {
  return (token.description ?? 'anonymous').replace(/^rimuru:/, '');
}
