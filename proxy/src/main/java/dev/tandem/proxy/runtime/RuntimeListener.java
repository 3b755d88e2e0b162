package dev.tandem.proxy.runtime;

import dev.tandem.conf.ListenerConfig;

/**
 * A listener as one {@link RuntimeConfig} compiled it: what a request on it needs from that config, found
 * with one lookup by name per request.
 *
 * @param options  the listener's config (redirect to HTTPS, HSTS)
 * @param index    the listener's place in the config; a {@link Site}'s meters for it are {@link Site#metrics(RuntimeListener)}
 * @param unrouted meters of requests on this listener that reached no site
 */
public record RuntimeListener(ListenerConfig options, int index, RequestMetrics unrouted) {
}
