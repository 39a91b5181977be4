#!/bin/bash
# The portal's pages in the language the browser asks for (RFC 9110
# §12.5.4): German for "de" and for "de-CH" (lookup falls back to de), by
# q-value rather than by place, English for a language not shipped or for
# none; each page says its language (Content-Language) and that it depends
# on Accept-Language (Vary). Errors are translated (a wrong password). A
# catalogue that does not parse stops `portcullisd -t` with its file and
# line; an administrator's new catalogue is used, a text it lacks falls
# back to English, and markup in it is shown as text. A group policy's
# refusal says in German when access opens, with the German day's name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/intercept.sh"
LANGS=$(mktemp -d /tmp/portcullis-e2e-lang.XXXXXX)
on_finish "rm -rf '$LANGS'"
cp "$REPO/lang/en.txt" "$REPO/lang/de.txt" "$LANGS/"
# a language an administrator added: two texts, one with markup
printf 'title.default = Se connecter <b>ici</b>\nlogin.button = Connexion\n' > "$LANGS/fr.txt"
PORTAL_EXTRA="lang_dir = $LANGS"
intercept_conf
setup_daemon
add_user lena 'lena-pw'
add_user nina 'nina-pw'
# a window that excludes now: the whole of the day after tomorrow
days=(Sun Mon Tue Wed Thu Fri Sat)
tage=(So Mo Di Mi Do Fr Sa)
d=$(( ($(date +%w) + 2) % 7 ))
"$CLI" -d "$DB" group add night >/dev/null
"$CLI" -d "$DB" group member add night nina >/dev/null
"$CLI" -d "$DB" policy set night --windows "${days[$d],,} 00:00-24:00" >/dev/null
start_daemon || exit 1

page_in() { ccurl -D "$DIR/hdr" -H "Accept-Language: $1" "$PORTAL/"; }
page=$(page_in de)
assert_contains "$page" '<html lang="de">' "German page for de"
assert_contains "$page" '<h1>Im Netzwerk anmelden</h1>' "with the German title"
assert_contains "$page" 'Benutzername <input' "and German labels"
assert_contains "$(cat "$DIR/hdr")" "Content-Language: de" "Content-Language names it"
assert_contains "$(cat "$DIR/hdr")" "Vary: Accept-Language" "Vary names Accept-Language"
assert_contains "$(page_in 'de-CH')" '<h1>Im Netzwerk anmelden</h1>' "de-CH falls back to de"
assert_contains "$(page_in 'it, en;q=0.5, de;q=0.8')" '<h1>Im Netzwerk anmelden</h1>' "the higher q wins, not the place"
assert_contains "$(page_in 'it')" '<h1>Sign in to the network</h1>' "a language not shipped: the default, English"
assert_contains "$(cat "$DIR/hdr")" "Content-Language: en" "said as en"
assert_contains "$(ccurl "$PORTAL/")" '<h1>Sign in to the network</h1>' "no Accept-Language: English"
assert_contains "$(page_in 'de;q=0, *')" '<html lang="en">' "de refused with q=0: not German"

# the added catalogue: its texts as text, the rest in English
page=$(page_in fr)
assert_contains "$page" '<h1>Se connecter &lt;b&gt;ici&lt;/b&gt;</h1>' "the administrator's catalogue, its markup as text"
assert_contains "$page" '>Connexion</button>' "its button"
assert_contains "$page" 'Password <input' "a text it lacks in English"

# a translated error
jar=$DIR/jar
page=$(ccurl -c "$jar" -H 'Accept-Language: de' "$PORTAL/")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
answer=$(ccurl -b "$jar" -H 'Accept-Language: de' --data-urlencode "csrf=$csrf" \
	-d username=lena -d password=wrong "$PORTAL/login")
assert_contains "$answer" "Falscher Benutzername oder falsches Passwort." "a wrong password said in German"
assert_contains "$(ccurl -H 'Accept-Language: de' "$PORTAL/status")" "Sie sind nicht angemeldet." "the status page in German"
login_as() { # language user password
	ccurl -b "$jar" -H "Accept-Language: $1" --data-urlencode "csrf=$csrf" \
		--data-urlencode "username=$2" --data-urlencode "password=$3" "$PORTAL/login"
}
assert_contains "$(login_as de nina nina-pw)" \
	"Zugang ab ${tage[$d]} 00:00 (Ortszeit des Gateways; Richtlinie der Gruppe night)" \
	"a policy's refusal says in German when access opens"
assert_contains "$(login_as en nina nina-pw)" \
	"access opens ${days[$d]} 00:00 (gateway local time; the policy of group night)" \
	"and in English as before"

# a catalogue that does not parse is refused at the start with file and line
printf 'login.button = Anmelden\nthis line has no equals sign\n' > "$LANGS/de.txt"
out=$(ip netns exec "$NS_G" "$DAEMON" -t -c "$DIR/portcullis.conf" 2>&1)
assert_contains "$out" "$LANGS/de.txt: line 2: expected key = text" "a bad catalogue named with its line"
cp "$REPO/lang/de.txt" "$LANGS/de.txt"
rm "$LANGS/en.txt"
out=$(ip netns exec "$NS_G" "$DAEMON" -t -c "$DIR/portcullis.conf" 2>&1)
assert_contains "$out" "no catalogue $LANGS/en.txt" "English missing is refused"
finish
