package dev.tandem.proxy.upstream;

/** Which servers a balancer may choose from for one pick. */
@FunctionalInterface
public interface ServerFilter {

    boolean test(UpstreamServer server);
}
