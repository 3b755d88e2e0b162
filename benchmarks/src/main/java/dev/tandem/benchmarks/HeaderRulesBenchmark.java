package dev.tandem.benchmarks;

import dev.tandem.conf.HeaderRules;
import dev.tandem.conf.ValueTemplate;
import dev.tandem.proxy.runtime.HeaderRuleSet;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The header rules of the proxy benchmark's {@code tandem_routes} route on one exchange: the site's 3 and the
 * route's 5 request rules on a request head as wrk sends it, and the route's 3 response rules on a response
 * head as nginx answers. Each operation starts from fresh copies of both heads, as a decoded message would;
 * {@link #copyOnly} measures the copies alone, to subtract.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HeaderRulesBenchmark {

    private static final Function<ValueTemplate.Variable, String> VARIABLES = v -> switch (v) {
        case HOST -> "127.0.0.1";
        case SCHEME -> "http";
        case REQUEST_URI, URI -> "/";
        case ARGS -> "";
        case REMOTE_ADDR -> "127.0.0.1";
        case NODE -> "bench";
    };

    private HttpHeaders request;
    private HttpHeaders response;
    private HeaderRuleSet requestRules;
    private HeaderRuleSet responseRules;

    @Setup
    public void setUp() {
        request = new DefaultHttpHeaders().set("Host", "127.0.0.1:8080");
        response = new DefaultHttpHeaders().set("Server", "nginx/1.22.1").set("Date", "Mon, 07 Dec 2026 13:00:00 GMT")
                .set("Content-Type", "text/plain").set("Content-Length", "10").set("Connection", "keep-alive");
        HeaderRules.Ops site = new HeaderRules.Ops(Map.of("x-site", t("bench"), "x-scheme", t("$scheme")), Map.of(),
                List.of("x-debug"));
        HeaderRules.Ops route = new HeaderRules.Ops(Map.of("x-route", t("root"), "x-host", t("$host"), "x-uri", t("$uri")),
                Map.of("x-node", t("$node")), List.of("x-forbidden"));
        requestRules = HeaderRuleSet.of(List.of(site, route));
        responseRules = HeaderRuleSet.of(List.of(new HeaderRules.Ops(
                Map.of("x-frame-options", t("DENY"), "x-content-type-options", t("nosniff")), Map.of(),
                List.of("x-powered-by"))));
    }

    private static ValueTemplate t(String text) {
        return ValueTemplate.parse(text);
    }

    @Benchmark
    public int copyOnly() {
        HttpHeaders q = request.copy();
        HttpHeaders r = response.copy();
        return q.size() + r.size();
    }

    @Benchmark
    public int rules() {
        HttpHeaders q = request.copy();
        HttpHeaders r = response.copy();
        return requestRules.apply(q, VARIABLES) + responseRules.apply(r, VARIABLES) + q.size() + r.size();
    }
}
