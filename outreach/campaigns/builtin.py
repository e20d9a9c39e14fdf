"""The built-in campaign: the letter of 11 February 2021 to the Secretary of Homeland Security.

Everything here is data an organizer could enter for another letter; it lives in code only so that a
fresh install has one real campaign to show. The wording is ours.
"""

from __future__ import annotations

from datetime import date

SLUG = "end-ice-entanglement"

LETTER = {
    "title": "Ending ICE Entanglement with State and Local Agencies in Federal Immigration Enforcement",
    "letter_date": date(2021, 2, 11),
    "recipient": "The Secretary of Homeland Security",
    "eligible_chamber": "house",
    "signers_complete": False,
    "reported_signer_count": 60,
    "source_url": "https://docslib.org/doc/12975056/february-11-2021-the-honorable-alejandro-mayorkas-secretary-of-the-department-of-homeland-security-via-email-re",
}

CAMPAIGN = {
    "title": "End ICE entanglement with local police",
    "summary": (
        "On February 11, 2021, more than sixty Members of the House wrote to the Secretary of Homeland "
        "Security asking the Department to stop drawing state and local police into federal immigration "
        "enforcement, by ending three programs. Each demand below has its own action page: find your "
        "members of Congress, see whether they signed, and send them a message."
    ),
    "translations": {
        "es": {
            "title": "Que ICE deje de usar a la policía local",
            "summary": (
                "El 11 de febrero de 2021, más de sesenta miembros de la Cámara de Representantes escribieron "
                "al Secretario de Seguridad Nacional para pedirle que el Departamento dejara de involucrar a la "
                "policía estatal y local en la aplicación de las leyes federales de inmigración, poniendo fin a "
                "tres programas. Cada petición tiene su propia página de acción: encuentre a sus miembros del "
                "Congreso, vea si firmaron y envíeles un mensaje."
            ),
        }
    },
}

DEMANDS = [
    {
        "slug": "end-287g",
        "title": "End the 287(g) program",
        "explanation": (
            "Through 287(g) agreements, the Department of Homeland Security deputizes sheriffs and local police "
            "to act as federal immigration agents: they question people about their status in local jails or "
            "on the street and hold them for ICE. The letter asks the Secretary to end these agreements because "
            "they turn everyday policing into a path to deportation, invite racial profiling, and make immigrant "
            "families afraid to report a crime or ask for help."
        ),
        "ask": "Ask your members of Congress to publicly support ending the 287(g) program, for example by "
               "cosponsoring legislation that repeals it.",
        "translations": {"es": {
            "title": "Terminar el programa 287(g)",
            "explanation": (
                "Mediante los acuerdos 287(g), el Departamento de Seguridad Nacional autoriza a alguaciles y "
                "policías locales a actuar como agentes federales de inmigración: interrogan a las personas "
                "sobre su estatus en las cárceles locales o en la calle y las retienen para ICE. La carta pide "
                "al Secretario terminar estos acuerdos porque convierten el trabajo policial diario en un camino "
                "a la deportación, favorecen el perfil racial y hacen que las familias inmigrantes tengan miedo "
                "de denunciar un delito o pedir ayuda."
            ),
            "ask": "Pida a sus miembros del Congreso que apoyen públicamente el fin del programa 287(g), por "
                   "ejemplo copatrocinando una ley que lo derogue.",
        }},
    },
    {
        "slug": "end-secure-communities",
        "title": "End the Secure Communities program",
        "explanation": (
            "Under Secure Communities, the fingerprints a local jail takes when it books someone are passed to "
            "ICE, so that every arrest becomes an immigration check — even for people who are never charged "
            "or convicted. The letter asks the Secretary to end the program because it makes any contact with "
            "local police a risk of deportation and breaks the trust that public safety depends on."
        ),
        "ask": "Ask your members of Congress to publicly support ending Secure Communities.",
        "translations": {"es": {
            "title": "Terminar el programa Comunidades Seguras",
            "explanation": (
                "Con Comunidades Seguras (Secure Communities), las huellas digitales que una cárcel local toma "
                "al registrar a una persona se envían a ICE, de modo que cada arresto se convierte en una "
                "revisión migratoria, incluso para personas que nunca son acusadas ni condenadas. La carta pide "
                "al Secretario terminar el programa porque convierte cualquier contacto con la policía local en "
                "un riesgo de deportación y rompe la confianza de la que depende la seguridad pública."
            ),
            "ask": "Pida a sus miembros del Congreso que apoyen públicamente el fin de Comunidades Seguras.",
        }},
    },
    {
        "slug": "end-ice-detainers",
        "title": "Stop using ICE detainers",
        "explanation": (
            "An ICE detainer is a request that a local jail keep a person locked up after they would otherwise "
            "go free — after posting bail, finishing a sentence, or having charges dropped — so that ICE can "
            "take them into custody. Detainers are issued by immigration officers, not signed by a judge. The "
            "letter asks the Secretary to stop using them, because they keep people jailed without due process "
            "and make local jails an arm of deportation."
        ),
        "ask": "Ask your members of Congress to publicly support ending the use of ICE detainers.",
        "translations": {"es": {
            "title": "Dejar de usar las órdenes de retención de ICE",
            "explanation": (
                "Una orden de retención (detainer) de ICE es una solicitud para que una cárcel local mantenga "
                "detenida a una persona cuando de otro modo quedaría libre — después de pagar la fianza, cumplir "
                "su condena o cuando se retiran los cargos — para que ICE la detenga. Las emiten agentes de "
                "inmigración, no las firma un juez. La carta pide al Secretario dejar de usarlas, porque "
                "mantienen a personas encarceladas sin el debido proceso y convierten las cárceles locales en "
                "un brazo de la deportación."
            ),
            "ask": "Pida a sus miembros del Congreso que apoyen públicamente el fin de las órdenes de retención de ICE.",
        }},
    },
]

_LETTER_TEXT = "The letter of February 11, 2021 (text of the letter)"
_LEAD_SOURCES = (
    "The letter of February 11, 2021 (lead signer); also named as a lead by "
    "https://www.politico.com/news/2021/02/12/democrats-dhs-police-immigration-468825 ; "
    "https://www.aclu.org/press-releases/over-60-members-congress-push-president-biden-and-dhs-end-programs-conscript-local ; "
    "https://www.law360.com/articles/1354919/house-dems-call-to-cut-ice-out-of-local-policing"
)

# (bioguide id, name as printed in the letter, is a lead). About 45 of the ~60 signers are not known to us.
SIGNERS = [
    ("S001145", "Jan Schakowsky", True),
    ("E000297", "Adriano Espaillat", True),
    ("Q000023", "Mike Quigley", True),
    ("B001300", "Nanette Diaz Barragán", False),
    ("B001292", "Donald S. Beyer Jr.", False),
    ("B000574", "Earl Blumenauer", False),
    ("B001278", "Suzanne Bonamici", False),
    ("B001304", "Anthony G. Brown", False),
    ("B001224", "Cori Bush", False),
    ("C001097", "Tony Cárdenas", False),
    ("C001072", "André Carson", False),
    ("C001091", "Joaquin Castro", False),
    ("C001080", "Judy Chu", False),
    ("G000587", "Sylvia R. Garcia", False),
    ("G000586", 'Jesús G. "Chuy" García', False),
]


def signer_source(is_lead: bool) -> str:
    """Return where we know a signature from."""
    return _LEAD_SOURCES if is_lead else _LETTER_TEXT


# What each demand asks for, as a phrase that completes "asking the Secretary of Homeland Security to …".
GOALS = {
    "end-287g": {"en": "end the 287(g) program", "es": "poner fin al programa 287(g)"},
    "end-secure-communities": {"en": "end the Secure Communities program",
                               "es": "poner fin al programa Comunidades Seguras (Secure Communities)"},
    "end-ice-detainers": {"en": "stop using ICE detainers", "es": "dejar de usar las órdenes de retención de ICE"},
}

_TEMPLATES = {
    ("signer", "en"): {
        "subject": "Thank you for asking DHS to {goal}",
        "body": (
            "Thank you for signing the February 11, 2021 letter that asked the Secretary of Homeland Security "
            "to {goal}. As your constituent, I am grateful that you spoke up.\n\n"
            "This work is not finished. Please keep pushing: press the Department for answers, and support "
            "legislation that ends these programs for good."
        ),
        "sms_body": "Thank {member_title} {member_name} for signing the 2021 letter asking DHS to {goal}, "
                    "and ask them to keep pushing.",
    },
    ("other", "en"): {
        "subject": "Please publicly support asking DHS to {goal}",
        "body": (
            "In February 2021, more than sixty Members of Congress asked the Secretary of Homeland Security "
            "to {goal}. As your constituent, I ask you to publicly support that call, for example by "
            "cosponsoring legislation that would end it, and to urge the Department to act.\n\n"
            "When local police act as immigration agents, immigrant families stop calling for help, and our "
            "whole community is less safe."
        ),
        "sms_body": "Ask {member_title} {member_name} to publicly support asking DHS to {goal}.",
    },
    ("signer", "es"): {
        "subject": "Gracias por pedir al DHS {goal}",
        "body": (
            "Gracias por firmar la carta del 11 de febrero de 2021 que pidió al Secretario de Seguridad "
            "Nacional {goal}. Como su constituyente, le agradezco que haya alzado la voz.\n\n"
            "Este trabajo no ha terminado. Por favor, siga insistiendo: exija respuestas al Departamento y "
            "apoye leyes que pongan fin a estos programas para siempre."
        ),
        "sms_body": "Agradezca a {member_title} {member_name} por firmar la carta de 2021 que pidió al DHS "
                    "{goal}, y pídale que siga insistiendo.",
    },
    ("other", "es"): {
        "subject": "Apoye públicamente el pedido al DHS de {goal}",
        "body": (
            "En febrero de 2021, más de sesenta miembros del Congreso pidieron al Secretario de Seguridad "
            "Nacional {goal}. Como su constituyente, le pido que apoye públicamente ese pedido, por ejemplo "
            "copatrocinando una ley que lo haga realidad, y que inste al Departamento a actuar.\n\n"
            "Cuando la policía local actúa como agente de inmigración, las familias inmigrantes dejan de pedir "
            "ayuda y toda nuestra comunidad está menos segura."
        ),
        "sms_body": "Pida a {member_title} {member_name} que apoye públicamente el pedido al DHS de {goal}.",
    },
}


def message_templates(demand_slug: str) -> list[dict]:
    """Return the built-in templates of one demand, one per audience and language."""
    templates = []
    for (audience, locale), texts in _TEMPLATES.items():
        goal = GOALS[demand_slug][locale]
        templates.append({"audience": audience, "locale": locale,
                          **{field: text.replace("{goal}", goal) for field, text in texts.items()}})
    return templates
