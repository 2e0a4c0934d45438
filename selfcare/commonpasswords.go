package selfcare

import (
	"strings"
	"sync"
	"unicode"
)

// commonPasswordBases are the stems of the passwords people pick first. The
// list is ours, written from the patterns that every study of leaked
// passwords finds on top, not copied from any published list. It holds
// stems rather than finished passwords: [isCommonPassword] folds case,
// undoes look-alike digits and symbols, and ignores a tail of digits and
// punctuation, so that "summer" also stands for "Summer2026!" and
// "$umm3r#1", and a few hundred stems cover the thousands of variants that
// ASVS asks a list to cover.
//
// Entries are compared whole, never as parts of a longer password: a long
// passphrase made of common words stays acceptable.
var commonPasswordBases = []string{
	// The word itself and what people type for "a password".
	"password", "passwort", "passwd", "passw", "pass", "pwd", "passcode",
	"passphrase", "mypassword", "mypass", "newpassword", "newpass",
	"nopassword", "yourpassword", "thepassword", "secretpassword",
	"passpass", "passwordpassword", "motdepasse", "contrasena", "contrasenia",
	"senha", "parola", "salasana", "wachtwoord", "haslo", "geheim",
	"secret", "topsecret", "private", "confidential",

	// Access and accounts.
	"admin", "administrator", "admin admin", "root", "toor", "superuser",
	"sysadmin", "system", "manager", "operator", "supervisor", "guest",
	"user", "username", "login", "logon", "letmein", "letmeinnow",
	"openup", "opensesame", "access", "accessgranted", "default",
	"changeme", "changeit", "changethis", "change", "reset", "temp",
	"test", "testing", "tester", "test test", "demo", "sample", "example",
	"welcome", "welcometo", "welcomeback", "welkom", "willkommen",
	"bienvenue", "bienvenido", "hello", "helloworld", "hallo", "bonjour",
	"hola", "ciao", "hi there", "goodbye", "whatever", "nothing",
	"anything", "something", "qwerty", "trustno1", "trustme", "iloveyou",
	"iloveu", "ilovegod", "loveyou", "lovely", "love", "loveme", "mylove",
	"forever", "always", "together",

	// The product and its world.
	"cisco", "ciscocisco", "ciscoucm", "cucm", "callmanager", "ucm",
	"ucmuser", "selfcare", "selfservice", "portal",
	"myportal", "phone", "myphone", "iphone", "telephone", "telefon",
	"voicemail", "voice", "voicemailpin", "jabber", "webex", "unified",
	"extension", "company", "office", "business", "corporate",
	"helpdesk", "support", "service", "network", "server", "internet",
	"computer", "windows", "microsoft", "google", "apple", "linux",

	// Keyboard walks: rows, columns and zigzags of a QWERTY, QWERTZ or
	// AZERTY keyboard, each way.
	"qwe", "qwer", "qwert", "qwertz", "qwertyu", "qwertyui", "qwertyuiop",
	"ytrewq", "poiuytrewq", "asd", "asdf", "asdfg", "asdfgh", "asdfghj",
	"asdfghjk", "asdfghjkl", "lkjhgfdsa", "fdsa", "zxc", "zxcv", "zxcvb",
	"zxcvbn", "zxcvbnm", "mnbvcxz", "azerty", "azertyuiop", "wxcvbn",
	"qazwsx", "qazwsxedc", "qazxsw", "wsxedc", "qweasd", "qweasdzxc",
	"1qaz2wsx", "1qaz2wsx3edc", "1qazxsw2", "zaq12wsx", "zaq1xsw2",
	"1q2w3e", "1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y", "q1w2e3r4",
	"q1w2e3r4t5", "1qw23e", "qweqwe", "asdasd", "zxczxc", "qwerasdf",
	"1234qwer", "qwer1234", "qwe123", "asdf1234", "wasd", "mnbvcx",

	// Digit strings and the letters next to them.
	"123", "1234", "12345", "123456", "1234567", "12345678", "123456789",
	"1234567890", "0123456789", "0987654321", "987654321", "87654321",
	"654321", "4321", "123123", "123321", "321321", "112233", "121212",
	"123456123456", "111111", "11111111", "000000", "00000000", "666666",
	"696969", "7777777", "888888", "88888888", "999999", "101010",
	"147258369", "159753", "147258", "1478963", "789456123", "2580",
	"abc", "abcd", "abcde", "abcdef", "abc123", "abcd1234", "a1b2c3",
	"a1b2c3d4", "aaa", "aaaaaa", "xyz", "zzz",

	// Seasons, months and days, the stems of the "Season+year" habit.
	"spring", "summer", "autumn", "fall", "winter", "january", "february",
	"march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december", "monday", "tuesday", "wednesday",
	"thursday", "friday", "saturday", "sunday", "weekend", "today",
	"tomorrow", "christmas", "xmas", "easter", "holiday", "birthday",
	"newyear", "happynewyear",

	// Sports, teams and games.
	"football", "baseball", "basketball", "soccer", "hockey", "golf",
	"golfer", "tennis", "cricket", "rugby", "boxing", "racing", "skate",
	"yankees", "cowboys", "eagles", "steelers", "packers", "lakers",
	"bulls", "redsox", "liverpool", "arsenal", "chelsea", "manutd",
	"barcelona", "realmadrid", "juventus", "fcbayern", "pokemon",
	"minecraft", "fortnite", "nintendo", "playstation", "xbox",
	"gamer", "player", "winner", "champion", "victory",

	// Characters, films and stories.
	"superman", "batman", "spiderman", "ironman", "hulk", "starwars",
	"jedi", "yoda", "vader", "matrix", "neo", "gandalf", "frodo",
	"hobbit", "harrypotter", "hogwarts", "voldemort", "pikachu",
	"mickey", "mickeymouse", "snoopy", "tigger", "winnie", "garfield",
	"scooby", "simpsons", "homer", "bond007", "jamesbond", "startrek",
	"transformer", "avengers", "marvel", "disney",

	// Animals, pets and nature.
	"monkey", "dragon", "tiger", "lion", "eagle", "falcon", "wolf",
	"bear", "panther", "jaguar", "dolphin", "shark", "turtle", "horse",
	"pony", "bunny", "rabbit", "kitty", "kitten", "puppy", "doggy",
	"doggie", "cat", "dog", "mustang", "cobra", "viper", "spider",
	"butterfly", "flower", "flowers", "rose", "sunflower", "sunshine",
	"rainbow", "ocean", "river", "mountain", "forest", "nature", "sun",
	"moon", "star", "stars", "sky", "blue", "red", "green", "black",
	"white", "purple", "orange", "yellow", "silver", "golden", "gold",
	"diamond",

	// Affection, fate and attitude.
	"princess", "prince", "angel", "angels", "baby", "babygirl",
	"babyboy", "sweet", "sweetie", "sweetheart", "honey", "sugar",
	"darling", "beautiful", "pretty", "cutie", "lovers", "kisses",
	"friend", "friends", "bestfriend", "family", "mother", "father",
	"mommy", "daddy", "freedom", "liberty", "peace", "faith", "hope",
	"jesus", "god", "blessed", "heaven", "lucky", "happy", "smile",
	"killer", "hunter", "ranger", "soldier", "warrior", "ninja",
	"samurai", "pirate", "hacker", "shadow", "master", "boss", "king",
	"queen", "legend", "hero", "magic", "wizard", "genius", "crazy",
	"cool", "awesome", "sexy", "hottie", "lover", "ginger", "pepper", "cookie", "cheese",
	"chocolate", "banana", "cherry", "peanut", "pizza", "coffee",
	"beer", "vodka", "whiskey", "money", "dollar", "rich",

	// First names that lead every study of chosen passwords.
	"michael", "jennifer", "jordan", "jessica", "ashley", "daniel",
	"thomas", "robert", "charlie", "buster", "maggie", "jasmine",
	"michelle", "nicole", "hannah", "matthew", "andrew", "joshua",
	"anthony", "william", "jonathan", "christopher", "justin", "taylor",
	"amanda", "melissa", "samantha", "elizabeth", "george", "harley",
	"oliver", "sophie", "charlotte", "emma", "alexander",
	"alex", "sarah", "david", "james", "john", "joseph", "peter",
	"richard", "steven", "patrick", "ferrari", "porsche", "corvette",
	"mercedes", "bmw", "camaro",

	// Famous passwords in their own right, the comic's passphrase included:
	// being famous is what makes it guessable.
	"zaq1zaq1", "agent007", "swordfish", "12qwaszx", "correct horse battery staple",
}

// commonPasswordSet is commonPasswordBases folded, with the length of the
// longest entry, which bounds the work for long input.
type commonPasswordSet struct {
	folded map[string]struct{}
	maxLen int
}

// commonPasswords builds the set on first use rather than at start-up,
// since a process that never checks a new password does not need it.
var commonPasswords = sync.OnceValue(func() commonPasswordSet {
	s := commonPasswordSet{folded: make(map[string]struct{}, len(commonPasswordBases))}
	for _, w := range commonPasswordBases {
		var b strings.Builder
		for _, r := range strings.ToLower(w) {
			foldRune(&b, r)
		}
		s.folded[b.String()] = struct{}{}
		s.maxLen = max(s.maxLen, b.Len())
	}
	return s
})

// isCommonPassword reports whether pw is one of the common passwords once
// normalised: lower case; the look-alikes 0 1 3 4 5 7 @ $ read as o i e a
// s t a s, with i, l and 1 counted as one letter since a 1 stands for
// either; spaces, hyphens, underscores and dots dropped; and any tail of
// digits, punctuation and symbols optionally cut off. So "P@ssw0rd2026!",
// "passw0rd", "Pass-word" and "he11o123" all count as a listed stem.
//
// Every cut of the tail is tried, not only the whole tail, since a digit
// at the end of the stem ("hell0") is part of it.
func isCommonPassword(pw string) bool {
	set := commonPasswords()
	rs := []rune(strings.ToLower(pw))
	tail := len(rs)
	for tail > 0 && isPasswordTail(rs[tail-1]) {
		tail--
	}

	// Folding works rune by rune, so the folded form of each prefix is a
	// prefix of the next: one pass builds them all.
	var b strings.Builder
	for k, r := range rs {
		if k >= tail && b.Len() > 0 {
			if _, ok := set.folded[b.String()]; ok {
				return true
			}
		}
		foldRune(&b, r)
		if b.Len() > set.maxLen {
			// No entry is this long, and prefixes only grow.
			return false
		}
	}
	_, ok := set.folded[b.String()]
	return ok && b.Len() > 0
}

// isPasswordTail reports whether r is what people append to a stem to pass
// a composition rule or a forced change: digits, punctuation, symbols.
func isPasswordTail(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) ||
		unicode.IsSpace(r)
}

// foldRune writes the normalised form of one lower-case rune to b: a
// look-alike becomes its letter, a separator disappears.
func foldRune(b *strings.Builder, r rune) {
	switch r {
	case ' ', '-', '_', '.':
		return
	case '0':
		r = 'o'
	case '1', 'l':
		r = 'i'
	case '3':
		r = 'e'
	case '4', '@':
		r = 'a'
	case '5', '$':
		r = 's'
	case '7':
		r = 't'
	}
	b.WriteRune(r)
}
