"""Static demo data for a Dortmund-like city; the generator lives in app.demo."""

from typing import NamedTuple

MAIL_DOMAIN = "stadt.example"


class DepartmentSeed(NamedTuple):
    """A department with its committee, topics, usual event categories and staff."""

    code: str
    name: str
    committee: str  # genitive, so that "Sitzung des …" reads naturally
    themes: tuple[str, ...]
    categories: tuple[str, ...]
    staff: tuple[tuple[str, str], ...]  # (mailbox local part, display name)


class VenueSeed(NamedTuple):
    """A venue's columns, with the district given by its code."""

    name: str
    address: str
    district: str
    capacity: int
    setup_minutes: int
    teardown_minutes: int
    exclusive: bool
    accessibility_notes: str


# The tables below keep one record per line group; the formatter would spread them out.
# fmt: off
DISTRICTS = (
    ("innenstadt-west", "Innenstadt-West"),
    ("innenstadt-nord", "Innenstadt-Nord"),
    ("innenstadt-ost", "Innenstadt-Ost"),
    ("eving", "Eving"),
    ("scharnhorst", "Scharnhorst"),
    ("brackel", "Brackel"),
    ("aplerbeck", "Aplerbeck"),
    ("hoerde", "Hörde"),
    ("hombruch", "Hombruch"),
    ("luetgendortmund", "Lütgendortmund"),
    ("huckarde", "Huckarde"),
    ("mengede", "Mengede"),
)

AUDIENCES = (
    ("buergerschaft", "Bürgerschaft", "Citizens"),
    ("presse", "Presse", "Press"),
    ("wirtschaft", "Wirtschaft", "Business"),
    ("politik", "Politik/Rat", "Politics/Council"),
    ("wissenschaft", "Wissenschaft", "Science"),
    ("kultur", "Kultur", "Arts and culture"),
    ("jugend", "Jugend", "Young people"),
    ("senioren", "Seniorinnen und Senioren", "Senior citizens"),
    ("beschaeftigte", "Beschäftigte der Stadt", "City staff"),
)

CATEGORIES = (
    ("empfang", "Empfang", "Reception"),
    ("buergerdialog", "Bürgerdialog", "Public dialogue"),
    ("pressekonferenz", "Pressekonferenz", "Press conference"),
    ("ausstellung", "Ausstellung", "Exhibition"),
    ("sitzung", "Sitzung", "Meeting"),
    ("fest", "Fest", "Festival"),
    ("sport", "Sport", "Sports"),
    ("fortbildung", "Fortbildung", "Training"),
    ("fuehrung", "Führung", "Guided tour"),
    ("information", "Informationsveranstaltung", "Information event"),
)

# Share of non-confidential events per category that are public rather than internal.
PUBLIC_SHARE = {
    "empfang": 0.4, "buergerdialog": 0.9, "pressekonferenz": 0.7, "ausstellung": 0.9,
    "sitzung": 0.3, "fest": 0.9, "sport": 0.8, "fortbildung": 0.05, "fuehrung": 0.8,
    "information": 0.8,
}
# The audience an event of the category always addresses, if any.
CATEGORY_AUDIENCE = {
    "pressekonferenz": "presse", "sitzung": "politik", "fortbildung": "beschaeftigte",
    "buergerdialog": "buergerschaft", "ausstellung": "kultur",
}
# Categories that often take place on a Saturday or Sunday, outdoors, or over whole days.
WEEKEND_CATEGORIES = {"fest", "sport", "fuehrung", "ausstellung"}
OUTDOOR_CATEGORIES = {"fest", "sport", "fuehrung"}
ALL_DAY_CATEGORIES = {"ausstellung", "fest", "fortbildung", "sport"}
# Fixed-date holidays in North Rhine-Westphalia and the days around Christmas stay free.
HOLIDAYS = {(1, 1), (5, 1), (10, 3), (11, 1), (12, 24), (12, 25), (12, 26), (12, 31)}

_D = DepartmentSeed
DEPARTMENTS = (
    _D("buero-ob", "Büro des Oberbürgermeisters", "Hauptausschusses und Ältestenrates",
       ("Städtepartnerschaften", "Ehrenamt in Dortmund", "Stadtentwicklung 2035"),
       ("empfang", "pressekonferenz", "sitzung", "buergerdialog"),
       (("sabine.richter", "Sabine Richter"), ("thomas.lange", "Thomas Lange"))),
    _D("presseamt", "Dortmund-Agentur / Presse- und Informationsamt",
       "Ausschusses für Personal, Organisation und Digitalisierung",
       ("Stadtmarketing", "Bürgerinformation", "Dortmund-Kampagne"),
       ("pressekonferenz", "fortbildung", "empfang"), (("lena.koch", "Lena Koch"),)),
    _D("kulturbetriebe", "Kulturbetriebe Dortmund", "Ausschusses für Kultur, Sport und Freizeit",
       ("Kulturförderung", "Freie Szene", "Stadtteilkultur"),
       ("ausstellung", "fuehrung", "fest", "empfang"),
       (("miriam.kaya", "Miriam Kaya"), ("felix.hartmann", "Felix Hartmann"))),
    _D("schulverwaltung", "Fachbereich Schule", "Schulausschusses",
       ("Offener Ganztag", "Schulbauprogramm", "Digitale Schule"),
       ("information", "sitzung", "fortbildung"), (("claudia.wolf", "Claudia Wolf"),)),
    _D("umweltamt", "Umweltamt", "Ausschusses für Klima, Umwelt, Stadtgestaltung und Wohnen",
       ("Klimaschutz", "Hitzeschutz", "Luftreinhaltung", "Stadtbäume"),
       ("buergerdialog", "information", "fuehrung", "sitzung"),
       (("jan.schroeder", "Jan Schröder"), ("aylin.oezdemir", "Aylin Özdemir"))),
    _D("wirtschaftsfoerderung", "Wirtschaftsförderung Dortmund",
       "Ausschusses für Wirtschafts- und Beschäftigungsförderung",
       ("Gründungsförderung", "Fachkräftesicherung", "Innenstadtentwicklung"),
       ("empfang", "information", "pressekonferenz"), (("markus.brandt", "Markus Brandt"),)),
    _D("stadtplanung", "Stadtplanungs- und Bauordnungsamt",
       "Ausschusses für Klima, Umwelt, Stadtgestaltung und Wohnen",
       ("Quartiersentwicklung", "Wohnungsbau", "Masterplan Mobilität"),
       ("buergerdialog", "information", "sitzung"),
       (("katrin.vogel", "Katrin Vogel"), ("piotr.nowak", "Piotr Nowak"))),
    _D("jugendamt", "Jugendamt", "Ausschusses für Kinder, Jugend und Familie",
       ("Jugendbeteiligung", "Kita-Ausbau", "Kinderschutz"),
       ("buergerdialog", "fest", "fortbildung", "sitzung"),
       (("nina.becker", "Nina Becker"), ("tobias.klein", "Tobias Klein"))),
    _D("sozialamt", "Sozialamt", "Ausschusses für Soziales, Arbeit und Gesundheit",
       ("Quartiersarbeit", "Teilhabe im Alter", "Wohnungslosenhilfe"),
       ("information", "fest", "sitzung"), (("fatma.arslan", "Fatma Arslan"),)),
    _D("sportwelt", "Sport- und Freizeitbetriebe Dortmund",
       "Ausschusses für Kultur, Sport und Freizeit",
       ("Vereinssport", "Bäderkonzept", "Bewegung im Alter"),
       ("sport", "fest", "empfang"),
       (("dennis.kowalski", "Dennis Kowalski"), ("sarah.lehmann", "Sarah Lehmann"))),
    _D("ordnungsamt", "Ordnungsamt", "Ausschusses für Bürgerdienste und öffentliche Ordnung",
       ("Sauberkeit im Stadtbezirk", "Ordnungspartnerschaften", "Veranstaltungssicherheit"),
       ("buergerdialog", "fortbildung", "sitzung"), (("michael.jansen", "Michael Jansen"),)),
    _D("tiefbauamt", "Tiefbauamt", "Ausschusses für Mobilität, Infrastruktur und Grün",
       ("Radwegeausbau", "Baustellenkoordination", "Brückensanierung"),
       ("information", "pressekonferenz", "sitzung"), (("stefan.hoffmann", "Stefan Hoffmann"),)),
    _D("personalamt", "Personal- und Organisationsamt",
       "Ausschusses für Personal, Organisation und Digitalisierung",
       ("Ausbildung bei der Stadt", "Gesundheitsmanagement", "Mobiles Arbeiten"),
       ("fortbildung", "information", "sport"), (("andrea.meyer", "Andrea Meyer"),)),
    _D("gesundheitsamt", "Gesundheitsamt", "Ausschusses für Soziales, Arbeit und Gesundheit",
       ("Impfberatung", "Suchtprävention", "Hitzeschutz"),
       ("information", "buergerdialog", "fortbildung"), (("eva.krause", "Dr. Eva Krause"),)),
    _D("feuerwehr", "Feuerwehr Dortmund", "Ausschusses für Bürgerdienste und öffentliche Ordnung",
       ("Brandschutzerziehung", "Bevölkerungsschutz", "Rettungsdienst"),
       ("fuehrung", "information", "fortbildung", "fest"),
       (("christian.schulte", "Christian Schulte"),)),
    _D("stadtarchiv", "Stadtarchiv", "Ausschusses für Kultur, Sport und Freizeit",
       ("Stadtgeschichte", "Erinnerungskultur", "Familienforschung"),
       ("ausstellung", "fuehrung", "information"), (("ulrike.franke", "Ulrike Franke"),)),
    _D("buergerdienste", "Bürgerdienste", "Ausschusses für Bürgerdienste und öffentliche Ordnung",
       ("Online-Termine im Bürgeramt", "Wahlhelfende", "Digitale Verwaltungsleistungen"),
       ("information", "fortbildung", "buergerdialog"), (("emre.celik", "Emre Çelik"),)),
    _D("gleichstellung", "Gleichstellungsbüro", "Ausschusses für Diversitätsangelegenheiten",
       ("Vereinbarkeit von Familie und Beruf", "Frauen in Führung", "Schutz vor Gewalt"),
       ("information", "fortbildung", "empfang"), (("johanna.peters", "Johanna Peters"),)),
    _D("digitalisierung", "Stabsstelle Digitalisierung",
       "Ausschusses für Personal, Organisation und Digitalisierung",
       ("Smart City", "E-Akte", "Open Data"),
       ("fortbildung", "information", "pressekonferenz"),
       (("kevin.zimmermann", "Kevin Zimmermann"),)),
    _D("vermessung", "Vermessungs- und Katasteramt",
       "Ausschusses für Mobilität, Infrastruktur und Grün",
       ("Geodaten", "Digitaler Zwilling", "Bodenrichtwerte"),
       ("information", "fortbildung", "fuehrung"), (("birgit.schmitz", "Birgit Schmitz"),)),
)

ADMIN = ("admin", "Systemadministration")
PRIVACY = ("datenschutz", "Datenschutzbeauftragte")  # the privacy role: reads the audit log
COMMS = (("komm.schmidt", "Julia Schmidt"), ("komm.yilmaz", "Deniz Yilmaz"))
COMMS_DEPARTMENT = "presseamt"

_LIFT = "Stufenloser Zugang über den Aufzug; barrierefreies WC im Erdgeschoss."
_V = VenueSeed
VENUES = (
    _V("Rathaus – Ratssaal", "Friedensplatz 1, 44135 Dortmund", "innenstadt-west", 120, 30, 15,
       True, _LIFT + " Induktive Höranlage vorhanden."),
    _V("Rathaus – Bürgersaal", "Friedensplatz 1, 44135 Dortmund", "innenstadt-west", 200, 45, 30,
       True, _LIFT),
    _V("Stadthaus – Konferenzraum 1.12", "Olpe 1, 44135 Dortmund", "innenstadt-west", 30, 0, 0,
       False, "Aufzug vorhanden; Tische unterfahrbar."),
    _V("Harenberg-Saal", "Königswall 21, 44137 Dortmund", "innenstadt-west", 250, 45, 30, False,
       "Barrierefrei über den Haupteingang; Rollstuhlplätze in der ersten Reihe."),
    _V("Westfalenhallen Halle 3", "Rheinlanddamm 200, 44139 Dortmund", "innenstadt-west", 2500,
       60, 60, True, "Ebenerdiger Zugang; Behindertenparkplätze am Eingang Nord."),
    _V("Museum für Kunst und Kulturgeschichte – Foyer", "Hansastraße 3, 44137 Dortmund",
       "innenstadt-west", 150, 30, 30, False, "Rampe am Seiteneingang; Aufzug zu allen Etagen."),
    _V("Stadt- und Landesbibliothek – Vortragssaal", "Max-von-der-Grün-Platz 1–3, 44137 Dortmund",
       "innenstadt-west", 100, 15, 15, False, "Barrierefrei; mobile Höranlage an der Information."),
    _V("Kulturort Dortmunder U – Kino", "Leonie-Reygers-Terrasse 2, 44137 Dortmund",
       "innenstadt-west", 200, 30, 15, False, "Aufzug vom Foyer; vier Rollstuhlplätze."),
    _V("Dietrich-Keuning-Haus – Großer Saal", "Leopoldstraße 50–58, 44147 Dortmund",
       "innenstadt-nord", 400, 60, 45, False, "Stufenloser Zugang; barrierefreies WC."),
    _V("Depot – Saal", "Immermannstraße 29, 44147 Dortmund", "innenstadt-nord", 180, 30, 30, False,
       "Zugang über eine Rampe; Saal im Erdgeschoss."),
    _V("Zeche Zollern – Lohnhalle", "Grubenweg 5, 44388 Dortmund", "luetgendortmund", 250, 60, 45,
       True, "Historisches Gebäude; Zugang über Rampe, bitte vorher anmelden."),
    _V("Kokerei Hansa – Kompressorenhalle", "Emscherallee 11, 44369 Dortmund", "huckarde", 300,
       60, 60, False, "Teilweise barrierefrei; unebener Boden im Außenbereich."),
    _V("Phoenix-See – Pavillon am Hafen", "Hafenpromenade 1, 44263 Dortmund", "hoerde", 80, 15, 15,
       False, "Ebenerdig; Behindertenparkplätze an der Faßstraße."),
    _V("Bezirksverwaltungsstelle Hörde – Saal", "Hörder Bahnhofstraße 16, 44263 Dortmund",
       "hoerde", 90, 15, 15, False, _LIFT),
    _V("Bezirksverwaltungsstelle Eving – Sitzungssaal", "Deutsche Straße 27, 44339 Dortmund",
       "eving", 60, 15, 0, False, "Sitzungssaal im 1. OG; Treppenlift vorhanden."),
    _V("Bezirksverwaltungsstelle Aplerbeck – Saal", "Aplerbecker Marktplatz 21, 44287 Dortmund",
       "aplerbeck", 80, 15, 15, False, _LIFT),
    _V("Amtshaus Mengede – Saal", "Am Amtshaus 1, 44359 Dortmund", "mengede", 70, 15, 15, False,
       "Zugang über den Hof; Saal im Erdgeschoss."),
    _V("Rombergpark – Gartensaal", "Am Rombergpark 49b, 44225 Dortmund", "hombruch", 60, 30, 15,
       True, "Wege im Park teilweise unbefestigt; Gartensaal ebenerdig."),
    _V("Sporthalle Scharnhorst-Ost", "Gleiwitzstraße 277, 44328 Dortmund", "scharnhorst", 350,
       45, 30, False, "Barrierefreie Umkleide; Zuschauertribüne nur über Treppen."),
    _V("Haus Brackel – Festsaal", "Brackeler Hellweg 150, 44309 Dortmund", "brackel", 120, 30, 30,
       False, "Aufzug vorhanden; induktive Höranlage auf Anfrage."),
)

OUTDOOR_LOCATIONS = (
    "Friedensplatz (Open Air)", "Alter Markt", "Westfalenpark, Festwiese", "Fredenbaumpark",
    "Nordmarkt", "Treffpunkt: Hörder Burg", "Treffpunkt: Haltestelle Reinoldikirche",
    "Hansaplatz", "Revierpark Wischlingen",
)
INDOOR_LOCATIONS = (
    "Online (Videokonferenz)", "Stadthaus, Besprechungsraum 2.14", "Rathaus, Sitzungszimmer 1.08",
    "Verwaltungsgebäude Königswall 14, Raum 312", "Berswordt-Halle, Kleiner Saal",
    "Hybrid: Stadthaus, Raum 4.02 und online",
)
PARTNER_CITIES = ("Amiens", "Leeds", "Buffalo", "Netanja", "Novi Sad", "Trabzon", "Zwickau")
EXHIBITIONS = (
    "Dortmund im Wandel – Fotografien 1950–2000", "Zeche, Stahl und Bier",
    "Nordstadt-Porträts", "Die Emscher kehrt zurück", "Frauen in der Stadtgeschichte",
    "Junge Kunst aus dem Ruhrgebiet", "Grün in der Stadt",
)
SPORTS = ("Schwimmen", "Leichtathletik", "Tischtennis", "Hallenfußball", "Rollstuhlbasketball")
TRAININGS = (
    "Barrierefreie Dokumente erstellen", "Datenschutz im Verwaltungsalltag",
    "Leichte Sprache in Bescheiden", "Konfliktmanagement am Bürgerschalter",
    "Einführung in die E-Akte", "Vergaberecht kompakt", "Interkulturelle Kompetenz",
)

# (title, description[, only these departments]) per category; placeholders come from the
# event's context.
TEMPLATES = {
    "empfang": (
        ("{saison} der Stadt Dortmund", "Der Oberbürgermeister lädt Gäste aus Stadtgesellschaft, "
         "Wirtschaft und Politik ein. Im Mittelpunkt steht {thema}.", ("buero-ob",)),
        ("Empfang für die Delegation aus {partner}", "Die Stadt begrüßt eine Delegation aus der "
         "Partnerstadt {partner}. Auf dem Programm stehen Grußworte und ein Austausch zu {thema}."),
        ("Empfang für Ehrenamtliche aus {bezirk}", "Mit dem Empfang dankt die Stadt Menschen, die "
         "sich im Stadtbezirk {bezirk} ehrenamtlich engagieren."),
    ),
    "buergerdialog": (
        ("Bürgersprechstunde Bezirk {bezirk}", "Bürgerinnen und Bürger aus {bezirk} besprechen "
         "ihre Anliegen direkt mit der Verwaltung. Eine Anmeldung ist nicht erforderlich."),
        ("Bürgerdialog: {thema}", "Die Verwaltung stellt den aktuellen Stand vor und sammelt "
         "Anregungen aus der Nachbarschaft."),
        ("Stadtteilspaziergang {bezirk}: {thema}", "Gemeinsam mit Fachleuten der Verwaltung geht "
         "es durch den Stadtteil. Festes Schuhwerk wird empfohlen."),
        ("Jugendforum {bezirk}", "Jugendliche diskutieren mit Politik und Verwaltung über "
         "{thema} in ihrem Stadtbezirk.", ("jugendamt",)),
    ),
    "pressekonferenz": (
        ("Pressekonferenz: {thema}", "Die Verwaltung informiert die Medien über neue Ergebnisse "
         "und die nächsten Schritte."),
        ("Pressekonferenz Haushalt {jahr}", "Der Stadtkämmerer und der Oberbürgermeister stellen "
         "den Entwurf des Haushalts {jahr} vor.", ("buero-ob", "presseamt")),
        ("Pressegespräch zum Thema {thema}", "Kurzes Pressegespräch mit anschließender "
         "Gelegenheit zu Fotos und Einzelinterviews."),
    ),
    "ausstellung": (
        ("Vernissage: {ausstellung}", "Die Ausstellung „{ausstellung}“ wird mit einer "
         "Einführung und Musik eröffnet."),
        ("Ausstellung „{ausstellung}“", "Die Ausstellung zeigt Fotografien, Dokumente und "
         "Objekte aus den Beständen der Stadt."),
    ),
    "sitzung": (
        ("Sitzung des {ausschuss}", "Öffentliche Sitzung; die Tagesordnung steht im "
         "Ratsinformationssystem."),
        ("Sitzung der Bezirksvertretung {bezirk}", "Öffentliche Sitzung mit Einwohnerfragestunde "
         "zu Beginn."),
        ("Arbeitskreis {thema}", "Ämterübergreifender Arbeitskreis zur Abstimmung der laufenden "
         "Vorhaben."),
    ),
    "fest": (
        ("Ehrenamtsfest im Stadtbezirk {bezirk}", "Vereine und Initiativen stellen sich vor. Für "
         "Musik, Essen und ein Kinderprogramm ist gesorgt."),
        ("Stadtteilfest {bezirk}", "Ein Fest für die ganze Nachbarschaft mit Bühnenprogramm und "
         "Ständen der Verwaltung zum Thema {thema}."),
        ("Familienfest im Fredenbaumpark", "Spiel, Sport und Mitmachaktionen für Familien; der "
         "Eintritt ist frei."),
    ),
    "sport": (
        ("Stadtmeisterschaft {sport}", "Dortmunder Vereine treten in der Stadtmeisterschaft "
         "{sport} gegeneinander an. Zuschauende sind willkommen."),
        ("Sportabzeichentag {bezirk}", "Alle Altersgruppen können an einem Tag das Deutsche "
         "Sportabzeichen ablegen."),
        ("Bewegungstreff: {thema}", "Offenes Bewegungsangebot mit Übungsleitungen der Vereine."),
    ),
    "fortbildung": (
        ("Fortbildung: {training}", "Interne Fortbildung für Beschäftigte der Stadtverwaltung. "
         "Die Teilnahme wird als Arbeitszeit angerechnet."),
        ("Fachtag {thema}", "Fachleute aus Verwaltung, Wissenschaft und Praxis tauschen sich über "
         "{thema} aus."),
    ),
    "fuehrung": (
        ("Führung: {thema} vor Ort", "Fachleute der Verwaltung erläutern ihre Arbeit an "
         "praktischen Beispielen."),
        ("Tag der offenen Tür – {abteilung}", "Interessierte können hinter die Kulissen schauen; "
         "mit Mitmachstationen für Kinder."),
        ("Führung durch die Ausstellung „{ausstellung}“", "Rundgang mit einer Kuratorin durch "
         "die aktuelle Ausstellung.", ("kulturbetriebe", "stadtarchiv")),
    ),
    "information": (
        ("Infoabend: {thema}", "Die Verwaltung informiert und beantwortet Fragen aus dem "
         "Publikum."),
        ("Informationsveranstaltung {thema} in {bezirk}", "Vorstellung der Planungen für den "
         "Stadtbezirk {bezirk} mit anschließender Diskussion."),
        ("Sprechstunde {thema}", "Individuelle Beratung ohne Termin."),
    ),
}

EXTRA_SENTENCES = (
    "Der Veranstaltungsort ist barrierefrei erreichbar.",
    "Für Getränke ist gesorgt.",
    "Eine Verdolmetschung in Deutsche Gebärdensprache ist vorgesehen.",
    "Weitere Informationen folgen mit der Einladung.",
)

SEASONAL_RECEPTIONS = {
    1: "Neujahrsempfang", 2: "Neujahrsempfang", 3: "Frühjahrsempfang", 4: "Frühjahrsempfang",
    5: "Frühjahrsempfang", 6: "Sommerempfang", 7: "Sommerempfang", 8: "Sommerempfang",
    9: "Herbstempfang", 10: "Herbstempfang", 11: "Herbstempfang", 12: "Jahresabschlussempfang",
}
# fmt: on
