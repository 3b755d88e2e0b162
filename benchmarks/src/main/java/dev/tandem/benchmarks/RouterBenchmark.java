package dev.tandem.benchmarks;

import dev.tandem.proxy.routing.Router;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Finding the site for a Host header in a front door for many sites: 200 exact names and 20 wildcards
 * plus a catch-all, looked up as clients write them (mixed case, with a port).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouterBenchmark {

    @Param({"exact", "exact-with-port-and-case", "wildcard", "catch-all"})
    public String host;

    private Router<String> router;
    private String header;

    @Setup
    public void setUp() {
        Router.Builder<String> b = Router.builder();
        for (int i = 0; i < 200; i++) {
            b.add("site" + i + ".example.com", "site" + i);
            b.add("www.site" + i + ".example.com", "site" + i);
        }
        for (int i = 0; i < 20; i++) {
            b.add("*.tenant" + i + ".example.net", "tenant" + i);
        }
        b.add("*", "default");
        router = b.build();
        header = switch (host) {
            case "exact" -> "www.site150.example.com";
            case "exact-with-port-and-case" -> "WWW.Site150.example.com:8080";
            case "wildcard" -> "shop.eu.tenant17.example.net";
            case "catch-all" -> "unknown.example.org";
            default -> throw new IllegalArgumentException(host);
        };
    }

    @Benchmark
    public String route() {
        return router.route(header);
    }
}
