package app

import "strings"

// Country data for the cross-border rule (adequacy.go). Every table here is
// read-only. The lists change with treaties, orders and decisions: the
// operator must check them against the official sources before relying on
// them, and a change is a change of data here, not of code.

// countrySet builds a set from space-separated ISO 3166-1 alpha-2 codes.
func countrySet(lists ...string) map[string]bool {
	set := map[string]bool{}
	for _, l := range lists {
		for _, c := range strings.Fields(l) {
			set[c] = true
		}
	}
	return set
}

// isoAlpha2 is every officially assigned ISO 3166-1 alpha-2 code (249 codes;
// user-assigned codes such as XK and exceptionally reserved ones such as EU,
// UK or AC are not included).
var isoAlpha2 = countrySet(
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ",
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ",
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ",
	"DE DJ DK DM DO DZ",
	"EC EE EG EH ER ES ET",
	"FI FJ FK FM FO FR",
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY",
	"HK HM HN HR HT HU",
	"ID IE IL IM IN IO IQ IR IS IT",
	"JE JM JO JP",
	"KE KG KH KI KM KN KP KR KW KY KZ",
	"LA LB LC LI LK LR LS LT LU LV LY",
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ",
	"NA NC NE NF NG NI NL NO NP NR NU NZ",
	"OM",
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY",
	"QA",
	"RE RO RS RU RW",
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ",
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ",
	"UA UG UM US UY UZ",
	"VA VC VE VG VI VN VU",
	"WF WS",
	"YE YT",
	"ZA ZM ZW",
)

// Parties to the Council of Europe Convention for the Protection of
// Individuals with regard to Automatic Processing of Personal Data (ETS No.
// 108), per the Council of Europe treaty office's chart of signatures and
// ratifications as known in 2025: 55 parties.
const (
	// The 46 member states of the Council of Europe, all parties.
	convention108Members = "AD AL AM AT AZ BA BE BG CH CY CZ DE DK EE ES FI FR GB GE GR HR HU IE IS IT " +
		"LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS SE SI SK SM TR UA"
	// Parties that are not members: Argentina, Cabo Verde, Morocco,
	// Mauritius, Mexico, Senegal, Tunisia, Uruguay, and Russia (a party since
	// 2013, which remained one after leaving the Council of Europe in 2022).
	convention108NonMembers = "AR CV MA MU MX RU SN TN UY"
)

// rknAdequate lists states that are not parties to Convention 108 but that
// Roskomnadzor found to provide adequate protection (152-FZ art. 12 part 1):
// Roskomnadzor order No. 128 of 5 August 2022 "On approval of the list of
// foreign states ensuring adequate protection of the rights of personal data
// subjects", in force since 1 March 2023 (34 states; it added China, India,
// Côte d'Ivoire, Kyrgyzstan and Thailand to the earlier list).
//
// Only the states whose presence on the list could be confirmed when this
// table was written are included: Angola, Belarus, Benin, Chile, China,
// Costa Rica, Côte d'Ivoire, Gabon, India, Israel, Japan, Kazakhstan,
// Kyrgyzstan, Malaysia, Mali, Mongolia, Peru, Qatar, Singapore, South Korea,
// Tajikistan, Thailand. A state missing here only makes the product ask for
// a consent that was not strictly needed; check the official text
// (publication.pravo.gov.ru) and add the others. Note also the amendment of
// art. 12 adopted in first reading in December 2025, which would make the
// list the only criterion (dropping Convention 108 membership as one): when
// it is in force, the Convention 108 part of fz152Adequate must be reviewed.
const rknAdequate = "AO BJ BY CI CL CN CR GA IL IN JP KG KR KZ ML MN MY PE QA SG TH TJ"

// fz152Adequate is the set of countries adequate under 152-FZ art. 12:
// Convention 108 parties plus Roskomnadzor's list.
var fz152Adequate = countrySet(convention108Members, convention108NonMembers, rknAdequate)

// eeaCodes are the states of the European Economic Area (the 27 EU member
// states, then Iceland, Liechtenstein and Norway): an operator here follows
// the GDPR, and transfers between them are not restricted.
const eeaCodes = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK " +
	"IS LI NO"

// eeaMembers is the set of eeaCodes.
var eeaMembers = countrySet(eeaCodes)

// gdprAdequacyDecisions are the countries of the European Commission's
// adequacy decisions under GDPR art. 45 (and those kept from Directive
// 95/46/EC), as known in 2025: Andorra, Argentina, Canada (commercial
// organisations), Faroe Islands, Guernsey, Israel, Isle of Man, Japan,
// Jersey, New Zealand, Republic of Korea, Switzerland, United Kingdom,
// Uruguay. The United States are left out on purpose: the EU-US Data Privacy
// Framework covers only certified organisations, which this table cannot
// know. Check the Commission's page on adequacy decisions.
const gdprAdequacyDecisions = "AD AR CA FO GG IL IM JP JE NZ KR CH GB UY"

// gdprAdequate is the set of destinations adequate for an operator in the
// EEA: the EEA itself plus the adequacy decisions.
var gdprAdequate = countrySet(eeaCodes, gdprAdequacyDecisions)
