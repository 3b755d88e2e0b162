package dev.tandem.proxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.re2j.Pattern;
import dev.tandem.conf.RouteMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The compiled table (prefix trie, tree of regex alternations, cache of decisions) chooses what nginx's rules
 * read plainly choose: every exact path, every prefix tried for the longest, every regex tried in order. Random
 * tables and paths from a small alphabet, so that prefixes nest and regexes overlap often.
 */
class CompiledRouteTableTest {

    private static final String[] PIECES = {"/", "a", "b", "ab", ".", "png", "PNG", "x", "/a", "/b/", "1"};
    private static final String[] REGEXES = {"\\.png$", "^/a", "b/", "a.*b", "[0-9]$", "^/b/.*\\.png$", "x",
        "^/$", "(a|b)(a|b)", "\\.(png|x)$", "/\\.", "ab/1", "^/ab", "b$", "a{2}"};

    /** nginx's rules read plainly, over the routes in the order written. */
    private record Plain(Map<String, String> exact, Map<String, Boolean> stops, Map<String, String> prefixes,
                         List<Pattern> patterns, List<String> regexRoutes) {

        String select(String path) {
            if (exact.containsKey(path)) {
                return exact.get(path);
            }
            String longest = null;
            for (String p : prefixes.keySet()) {
                if (path.startsWith(p) && (longest == null || p.length() > longest.length())) {
                    longest = p;
                }
            }
            if (longest != null && stops.get(longest)) {
                return prefixes.get(longest);
            }
            for (int i = 0; i < patterns.size(); i++) {
                if (patterns.get(i).matcher(path).find()) {
                    return regexRoutes.get(i);
                }
            }
            return longest == null ? null : prefixes.get(longest);
        }
    }

    private static String randomText(Random r, int maxPieces) {
        StringBuilder s = new StringBuilder("/");
        int n = r.nextInt(maxPieces + 1);
        for (int i = 0; i < n; i++) {
            s.append(PIECES[r.nextInt(PIECES.length)]);
        }
        return s.toString();
    }

    @Test
    void choosesWhatNginxsRulesReadPlainlyChoose() {
        Random r = new Random(14);
        for (int table = 0; table < 300; table++) {
            RouteTable.Builder<String> b = RouteTable.builder();
            Plain plain = new Plain(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(),
                    new ArrayList<>(), new ArrayList<>());
            int routes = 1 + r.nextInt(40);
            for (int i = 0; i < routes; i++) {
                String name = "r" + i;
                switch (r.nextInt(3)) {
                    case 0 -> {
                        String path = randomText(r, 3);
                        b.add(RouteMatch.exact(path), false, name);
                        plain.exact().putIfAbsent(path, name);
                    }
                    case 1 -> {
                        String prefix = randomText(r, 3);
                        boolean stop = r.nextInt(4) == 0;
                        b.add(RouteMatch.prefix(prefix), stop, name);
                        if (!plain.prefixes().containsKey(prefix)) {
                            plain.prefixes().put(prefix, name);
                            plain.stops().put(prefix, stop);
                        }
                    }
                    default -> {
                        Pattern p = Pattern.compile(REGEXES[r.nextInt(REGEXES.length)],
                                r.nextBoolean() ? Pattern.CASE_INSENSITIVE : 0);
                        b.add(RouteMatch.regex(p), false, name);
                        plain.patterns().add(p);
                        plain.regexRoutes().add(name);
                    }
                }
            }
            RouteTable<String> t = b.build();
            for (int i = 0; i < 200; i++) {
                String path = randomText(r, 6);
                String expected = plain.select(path);
                assertEquals(expected, t.select(path), () -> "path " + path + " in " + plain);
                // Asked again: the cached decision is the same one.
                assertEquals(expected, t.select(path), () -> "again, path " + path + " in " + plain);
                assertEquals(expected, t.choose(path));
            }
        }
    }

    @Test
    void theFirstRegexInTheOrderWrittenWinsEvenWhenALaterOneMatchesFurtherLeft() {
        RouteTable<String> t = RouteTable.<String>builder()
                .add(RouteMatch.regex(Pattern.compile("\\.png$")), false, "png")
                .add(RouteMatch.regex(Pattern.compile("^/app/")), false, "app")
                .add(RouteMatch.regex(Pattern.compile("p")), false, "p")
                .build();
        assertEquals("png", t.select("/app/logo.png"));
        assertEquals("app", t.select("/app/logo.gif"));
        assertEquals("p", t.select("/x/p"));
    }

    @Test
    void pathsThatShareASlotOrAreTooLongToKeepAreStillRoutedEachByItsOwn() {
        RouteTable.Builder<String> b = RouteTable.<String>builder().add(RouteMatch.prefix("/"), false, "root");
        b.add(RouteMatch.regex(Pattern.compile("\\.png$")), false, "png");
        RouteTable<String> t = b.build();
        // Far more paths than the cache has slots, asked twice over: every slot is taken and retaken.
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 5000; i++) {
                assertEquals(i % 3 == 0 ? "png" : "root", t.select("/p" + i + (i % 3 == 0 ? ".png" : ".gif")));
            }
        }
        String longPath = "/" + "a".repeat(RouteCache.MAX_PATH) + ".png";
        assertEquals("png", t.select(longPath));
        assertEquals("root", t.select(longPath.replace(".png", ".gif")));
    }
}
