package dev.tandem.benchmarks;

import com.google.re2j.Pattern;
import dev.tandem.conf.RouteMatch;
import dev.tandem.proxy.routing.RoutePath;
import dev.tandem.proxy.routing.RouteTable;
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
 * Choosing a site's route, as the request path does it (normalize, then select), on a site of 100 routes:
 * 10 exact paths, 70 prefixes (nested three deep) and 20 regexes, against the paths that cost the least
 * (an exact hit), the most (no exact, no stop, every regex tried) and between. {@code asked}: {@code again},
 * the same path every time (a site's front page, a busy endpoint: the table's cache of decisions answers), or
 * {@code fresh}, each time one of 4096 paths of the same shape (a number in it differs), which the cache
 * cannot hold: what a path costs the first time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouteTableBenchmark {

    @Param({"exact", "prefix-stop", "regex-last", "prefix-after-all-regexes", "encoded"})
    public String path;

    @Param({"again", "fresh"})
    public String asked;

    private static final int FRESH = 4096;

    private RouteTable<String> table;
    private String[] targets;
    private int next;

    @Setup
    public void setUp() {
        RouteTable.Builder<String> b = RouteTable.builder();
        for (int i = 0; i < 10; i++) {
            b.add(RouteMatch.exact("/health" + i), false, "exact" + i);
        }
        for (int i = 0; i < 30; i++) {
            b.add(RouteMatch.prefix("/app" + i + "/"), i % 2 == 0, "app" + i);
            b.add(RouteMatch.prefix("/app" + i + "/api/"), false, "api" + i);
        }
        for (int i = 0; i < 10; i++) {
            b.add(RouteMatch.prefix("/app" + i + "/api/v2/"), false, "v2-" + i);
        }
        for (int i = 0; i < 19; i++) {
            b.add(RouteMatch.regex(Pattern.compile("\\.(ext" + i + "|x" + i + ")$", Pattern.CASE_INSENSITIVE)), false, "re" + i);
        }
        b.add(RouteMatch.regex(Pattern.compile("\\.(jpg|jpeg|gif|png|css|js|ico|zip|rar|swf)$", Pattern.CASE_INSENSITIVE)),
                false, "static");
        table = b.build();
        targets = new String[asked.equals("fresh") ? FRESH : 1];
        for (int i = 0; i < targets.length; i++) {
            // An exact path has no variants: "fresh" asks for the same one, which is what it costs anyway.
            String n = Integer.toString(1234 + i);
            targets[i] = switch (path) {
                case "exact" -> "/health7";
                case "prefix-stop" -> "/app4/api/v2/users/" + n + "?full=1";
                case "regex-last" -> "/app3/images/logo" + n + ".PNG";
                case "prefix-after-all-regexes" -> "/app3/api/users/" + n + "/orders?page=2";
                case "encoded" -> "/app3/api/%75sers//" + n + "/../5678";
                default -> throw new IllegalArgumentException(path);
            };
        }
    }

    @Benchmark
    public String select() {
        String target = targets[next];
        next = next + 1 == targets.length ? 0 : next + 1;
        return table.select(RoutePath.normalize(target));
    }
}
